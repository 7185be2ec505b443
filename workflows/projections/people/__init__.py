"""The people the record names: visitors, whom they met, initiatives'
leads, for the record forms to offer the names already written. `view`
writes it; `queries` answers what they ask."""
