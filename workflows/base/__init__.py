"""What every part of Accord stands on, with nothing of Accord beneath it.

failures   the kinds of failure, each with its exit status
batches    work done in batches, and how its progress is told
textfile   files people write by hand, read bounded and checked
"""
