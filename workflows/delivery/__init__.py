"""How follow-ups reach people: who they are (the directory), what is sent
(a message), and the channels that carry it (email, webhooks)."""
