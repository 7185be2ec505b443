"""Accord's domain model: partnerships, meetings, initiatives, funding
instruments and follow-up tasks, with their events and the rules they keep.

Pure by design: no I/O, no clock, no environment. The moment a fact is
recorded, and who records it, are passed in as a `Stamp`.
"""
