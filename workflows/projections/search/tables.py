"""The names of what a search table keeps beside it, for the view that
makes them and the queries that read them."""


def index_table(table: str) -> str:
    """The store's full-text index beside a search table."""
    return f"{table}_index"


def order_index(table: str) -> str:
    """SQLite's index of what orders and filters a search, beside a search table."""
    return f"{table}_order"
