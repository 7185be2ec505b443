"""Everything in Accord that moves: the application service, storage,
submissions, reads, and the command line at the edge."""
