"""Live order status: the publisher, the subscriptions, and the batched loads behind them."""
