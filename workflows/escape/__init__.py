"""Text from the record made safe for each medium Accord writes it to: one
module a medium (the terminal, CSV, Markdown, email headers, file names,
XML), each with the one function every writer of that medium calls.

Nothing here trusts that text was checked where it entered: old records,
directory names, actors, derived text and imported files reach every
output, so each function takes any Python string (controls, lone
surrogates, noncharacters, any length) and gives text its medium carries
as text.
"""
