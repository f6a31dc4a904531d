"""The demo: fictional seed data (Acme Outfitters' customers, orders, tickets, leads), the
demo help centre and the demo page with the widget. Wired only when the environment is
`development`; a production server imports nothing from here."""
