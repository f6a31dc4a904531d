"""The CRM store as the channels see it: implementations of the Protocols that channel
adapters declare (consent keywords, delivery reports, mail threads and watermarks, the
mail intake's reply cap). Channels never import crm_store through these; bot hands them in."""
