"""Resource allocation from quantile forecasts: demand per resource, a newsvendor allocation under
a budget with an equity floor, naive comparison rules, and a backtest over past origins."""
