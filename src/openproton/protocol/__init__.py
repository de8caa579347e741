"""A generic AWS JSON 1.0 server protocol, driven by a botocore ServiceModel.

Nothing in this package knows about Proton: it parses, identifies, validates, dispatches by operation name
and serializes for whatever service model it is given.
"""
