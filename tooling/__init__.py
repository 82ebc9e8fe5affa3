"""Tools that start, train, scale and measure the assistant: the top layer, run from make, never imported by it."""
