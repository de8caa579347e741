"""Template bundles (../shared/spec/bundles-and-provisioning.md, sections 1 to 4 and 6).

Pure: nothing here touches the database, HTTP or a transaction. Reading an archive and checking it
(archive.py, manifest.py, schema.py, registration.py), checking specs' inputs against a schema (inputs.py) and
rendering a folder (render.py, filters.py, terraform.py) take bytes and mappings and return values or raise
one of the errors in model.py. sources.py fetches bundles; the domain (proton/bundle_*.py) wires them in.
"""
