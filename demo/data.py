"""The vocabulary the demo seed draws from: fictional people, companies, products, carriers.

Every address is on a reserved domain (example.com or .test) and every phone number is
in the 555-0100..0199 block kept for fiction.
"""

from __future__ import annotations

FIRST_NAMES = (
    "Amara", "Ben", "Chloe", "Dev", "Elena", "Farid", "Greta", "Hiro", "Ines", "Jonas",
    "Kemi", "Liam", "Maya", "Noah", "Olga", "Pavel", "Quinn", "Rosa", "Sami", "Tara",
    "Umar", "Vera", "Wes", "Xia", "Yusuf", "Zoe", "Arjun", "Bea", "Carlos", "Dina",
)  # fmt: skip
LAST_NAMES = (
    "Abbott", "Brandt", "Castillo", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad",
    "Ito", "Jensen", "Kowalski", "Larsen", "Moreau", "Nakamura", "Okafor", "Petrov",
    "Quintero", "Rossi", "Silva", "Tanaka", "Ueda", "Varga", "Weber", "Yilmaz", "Zhang",
)  # fmt: skip
COMPANY_WORDS = (
    "Northwind", "Blue Harbor", "Cedar", "Driftwood", "Evergreen", "Foxglove", "Granite",
    "Hollow Oak", "Ironbridge", "Juniper", "Kestrel", "Lakeside", "Maple Row", "Nimbus",
    "Orchard", "Pinecrest", "Quarry", "Riverbend", "Saltmarsh", "Tidewater",
)  # fmt: skip
COMPANY_KINDS = ("Traders", "Labs", "Logistics", "Studio", "Foods", "Outfitters")
PLANS = ("starter", "team", "business", "enterprise")
AREA_CODES = ("201", "212", "303", "312", "503", "512", "617", "702", "808", "919")

# (sku, name, price in cents)
CATALOGUE = (
    ("KB-100", "Mechanical keyboard", 8900),
    ("MS-210", "Wireless mouse", 2900),
    ("HD-330", "Noise-cancelling headset", 14900),
    ("DK-400", "Standing desk frame", 32900),
    ("CH-510", "Ergonomic chair", 41900),
    ("LT-620", "Desk lamp", 4500),
    ("MN-270", "27-inch monitor", 27900),
    ("CB-050", "USB-C cable, 2 m", 1500),
    ("DS-700", "Docking station", 17900),
    ("WC-080", "HD webcam", 6900),
)
CARRIERS = {
    "UPS": "https://www.ups.com/track?tracknum={}",
    "FedEx": "https://www.fedex.com/fedextrack/?trknbr={}",
    "USPS": "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
    "DHL": "https://www.dhl.com/en/express/tracking.html?AWB={}",
}
TICKET_SUBJECTS = (
    "Parcel marked delivered but not received",
    "Wrong item in my order",
    "Refund not received yet",
    "Cannot log in to my account",
    "Invoice needs our company address",
    "Monitor arrived with a dead pixel",
    "Change the delivery address",
    "Discount code did not apply",
    "Chair is missing a part",
    "Request to cancel my order",
    "Keyboard keys stopped working",
    "Need a copy of an old invoice",
)
LEAD_INTERESTS = (
    "Office fit-out for 20 people",
    "Volume pricing on monitors",
    "Standing desks for a new office",
    "Quarterly supplies contract",
    "Headsets for a support team",
)
CUSTOMER_LINES = (
    "Hi, where is my order?",
    "Can I change the delivery address?",
    "How long do refunds take?",
    "Do you ship to Canada?",
    "My parcel has not moved for days",
    "Is the ergonomic chair back in stock?",
)
BOT_LINES = (
    "Let me check that for you.",
    "Refunds reach your card within 5 to 10 business days.",
    "I have passed this to a colleague, who will reply soon.",
    "You can change the address until the order ships.",
)
