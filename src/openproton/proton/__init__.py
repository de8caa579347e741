"""The Proton domain: one module per resource family, and a thin provider that maps operations to them."""
