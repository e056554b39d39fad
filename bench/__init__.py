
# A benchmark's clients all come from 127.0.0.1: one per-IP bucket would throttle the crowd it stands for, and
# bench/catalog.py's 100-product page costs more points than one operation may. Servers under a benchmark
# run with these (bench/hostile.py measures the metering itself).
UNMETERED = {"GRAPHQL_THROTTLE_MAXIMUM": "0", "AUTH_THROTTLE_MAXIMUM": "0", "GRAPHQL_MAX_COST": "100000"}

# The per-IP and per-user socket caps (graph.transport.consumers) would refuse a benchmark's crowd of sockets, which
# all come from 127.0.0.1 and sign in as one staff user: 0 turns each off.
UNCAPPED = {"GRAPHQL_WS_MAX_SOCKETS_PER_IP": "0", "GRAPHQL_WS_MAX_SOCKETS_PER_USER": "0"}
