"""The business layer, one package per part of the product (see README, "Map of the code"): accounts,
registration, review, payment, documents, reference, and the outside providers. Services know nothing of
HTTP; views call them and render what they return. clock.py is the one place for time and the China timezone.
"""
