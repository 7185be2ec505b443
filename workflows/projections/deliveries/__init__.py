"""The deliveries and where each stands, for the scheduler's courier (what
is due to be sent) and `accord deliveries`. `view` writes them; `queries`
answers."""
