"""What an institution configures: the settings (flags, environment,
accord.toml), the policy of who may do what, and the accounts that sign in
to the console.

    settings   every setting, read once, with its source
    policy     the roles and what each may record or change
    accounts   the users file: names, roles, password hashes
"""
