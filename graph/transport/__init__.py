"""The guard layer around the schema: views and consumers, limits, cost and buckets, persisted queries, caching
and error masking. Domain modules never import it; graph.schema assembles it with them."""
