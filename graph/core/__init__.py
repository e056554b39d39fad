"""What every domain module of the schema uses: types, IDs, payloads, the request context and its errors.

Domain modules (graph/<domain>.py) import from here and from commerce, never from graph.transport.
"""
