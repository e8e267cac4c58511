"""The offline demo: a pretend upstream API on 127.0.0.1, its catalog apps, the demo workspace."""
