"""SHACL shapes of the Alliance Graph and the validation built on them."""
