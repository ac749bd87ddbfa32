"""The sales record: what a turn writes to the SQL archive, the drainer, and a customer's data."""
