"""Outbound webhooks: staff register endpoints per event; what happens in the shop is delivered to them, signed,
by jobs after commit, retried with backoff for a day, every attempt logged, never to a private address."""
