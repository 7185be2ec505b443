"""`accord serve`: the record in a browser. Server-rendered pages that need
no JavaScript, each read through the application (its views, brought up to
date) as the command line reads them, each as it stood on a date or as it
was known at a moment."""
