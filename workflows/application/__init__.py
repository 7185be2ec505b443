"""The application: every use case that records or reads facts, and what
builds it. The command line, the console, the scheduler and the tests all
call it; nothing here is imported until a module is asked for by name, so
a command that reads the views loads none of the event-sourced application.

    service       `Accord`, the application service, one part a responsibility:
      core          the store, loading aggregates, storing what was decided (with retries)
      submission    recording submissions, all or none
      approvals     approving and rejecting proposals, delegating
      task_changes  assign, defer, complete, cancel a task
      keys          enroll and revoke writers' keys, list them from the log
      reads         the log itself: a partnership, an aggregate's events, the log in pages
      catch_up      the follow-up tasks new events imply (follower), then every view
    compose       the composition root: the application and the clock, from settings
    reader        the views as they stand, read without the application
    intake        submissions as people give them: files of JSON lines, options
    clock         the one clock: the moment now, and its business date
    errors        every failure a person can meet, as a sentence and an exit status
"""
