"""What goes out to, and comes in from, other tools.

events   the record's facts in the very shape `submit --file` reads back
iati     IATI 2.03 activity files, exported and imported
ical     the calendar of deadlines and meetings (iCalendar)
"""
