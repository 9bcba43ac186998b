"""The dialogue policy: plain Python that turns a visitor's events into cards, questions or a goodbye.

Nothing here touches the database or the network; the caller injects `search` and stores the state.
"""
