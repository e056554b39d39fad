
# A benchmark's clients all come from 127.0.0.1: one per-IP bucket would throttle the crowd it stands for, and
# bench/catalog.py's 100-product page costs more points than one operation may; nor may the socket caps stop
# bench/realtime.py's thousands of sockets of one staff user. Servers under a benchmark run with these
# (bench/hostile.py measures the metering itself, bench/socket_flood.py the socket caps).
UNMETERED = {"GRAPHQL_THROTTLE_MAXIMUM": "0", "AUTH_THROTTLE_MAXIMUM": "0", "GRAPHQL_MAX_COST": "100000",
             "GRAPHQL_WS_UNCAPPED_NETWORKS": "127.0.0.1/32,::1/128"}
# bench/realtime.py's broadcast: its thousands of sockets, all of one staff user, past the per-user cap too.
UNCAPPED = {"GRAPHQL_WS_MAX_SOCKETS_PER_IP": "0", "GRAPHQL_WS_MAX_SOCKETS_PER_USER": "0",
            "GRAPHQL_WS_UNCAPPED_NETWORKS": "127.0.0.1/32,::1/128"}
