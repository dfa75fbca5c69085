"""Telling candidates what happened (issue 16): a 消息 and an SMS per event and application.

| module | what |
|---|---|
| events | recording the events: `review_outcome` (in the decision's transaction), `detect` (the time-based ones) |
| texts | the texts (templates/notifications/<event>.txt): at most 70 characters per SMS, no full ID number |
| sending | the SMS through the provider, one sender per row (a claim), retries with backoff, each attempt recorded |
| jobs | `notify_forever`, the periodic job the app's lifespan starts |
| inbox | the candidate's 消息 list, read state, unread count, the reminders' switch |
| office | what the reviewers' detail shows: each notification of an application and its SMS attempts |
"""
