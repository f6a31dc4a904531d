"""Helpers the tests import: fakes, stand-ins, servers, seeds and builders. Fixtures stay
in conftest.py files, and no test imports from a conftest.

- fakes.py           recording channel sender, scripted dialogue/understander, agent desk,
                     the Slack desk's call queue
- dialogue_fakes.py  scripted knowledge base and recording action runner (dialogue units)
- dialogue_chat.py   callers and a Chat that drives a dialogue turn by turn, no engine
- encoders.py        deterministic hashing encoders (no sentence model)
- help_texts.py      the demo help centre's texts and FAQ questions, the written
                     non-English customer messages (spelling and language tests)
- old_catalogue.py   a knowledge index as written before catalogue format 2
- customers.py       the one seed of the demo customers (Ada, Grace and their orders)
- customer_rows.py   a minimal row for any table of the store, made from its metadata
- webchat.py         a web chat Visitor on the app under a TestClient
- app.py             the app's services, staff users, waiting for background work
- checked_app.py     the app on SQLite with every channel off, started (channel checks)
- action_calls.py    action calls in the JSON shape Rasa sends
- postgres.py        the test PostgreSQL server and a fresh database per test
- prepared.py        the demo knowledge index and NLU model built once per run
- slack_standin.py   the Slack Web API stand-in (a real HTTP server)
- slack_requests.py  requests signed as Slack signs them; settings with Slack on
- slack_cards.py     reading handoff cards and Block Kit back
- twilio_standin.py  the Twilio REST API stand-in (a real HTTP server)
- sms_harness.py     the app with Twilio on, webhooks signed as Twilio signs them
- mail_servers.py    Dovecot IMAP and aiosmtpd SMTP servers, test certificates
- mail.py            mail messages built, appended over IMAP, flags read back
- switchboard_server.py  `switchboard serve` as a child process (browser tests)
- widget_page.py     driving the chat widget in a page (Playwright)
- staff_dashboard.py driving the staff dashboard in a page, its charts and API
- ports.py           free TCP ports
- cdnow.py           the CDNOW purchase data set and its published model figures
- purchases.py       simulated BG/NBD purchase histories; customers with orders in the store
- lead_history.py    a won/lost lead history whose truth is known (win rate by channel)
- webhook_receiver.py  a webhook receiver verifying with `standardwebhooks`
"""
