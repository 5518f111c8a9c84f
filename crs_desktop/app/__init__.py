"""The application core: no Qt, between the window and the store (see DESIGN.md)."""
