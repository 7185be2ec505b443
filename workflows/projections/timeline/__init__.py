"""Each partner's timeline: the facts on its partnership and the shared
facts (meetings, initiatives) naming it, for the partnership and portfolio
pages, `accord partner show` and briefings. `view` writes it; `queries`
answers what they ask."""
