"""The CRM store as the channels see it: implementations of the Protocols that channel
adapters declare (consent keywords, delivery reports, mail threads and watermarks, the
mail intake's reply cap; widget session revocations, web campaign messages shown once
across a customer's widget sessions; Slack's event ledger, staff
directory, desk calls, card threads and account summaries). Channels never open a
session; bot hands these in."""
