"""The names of what a search table keeps beside it, for the view that
makes them and the queries that read them."""


def index_table(table: str) -> str:
    """The store's full-text index beside a search table."""
    return f"{table}_index"


def order_index(table: str) -> str:
    """SQLite's index of what orders and filters a search, beside a search table."""
    return f"{table}_order"


# On PostgreSQL each row's document holds the span of positions it was
# recorded in (`span=19`: positions 19 * 2**16 to 20 * 2**16 - 1), so that
# a search finds the rows recorded last by asking the GIN index for its
# terms in the newest span, then the one before, until it has enough: the
# index yields a word's rows in no order, and the words most often found
# are found in half the rows, where the rows recorded last may be others.
SPAN_BITS = 16


def span_lexeme(position: str) -> str:
    """SQL: the lexeme of the span of a position (an SQL expression)."""
    return f"'span=' || ({position} >> {SPAN_BITS})"
