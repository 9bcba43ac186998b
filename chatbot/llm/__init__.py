"""The words around the cards: reply backends, their prompts, the grounding guard and the runner the chat uses.

Cards always come from the catalogue; a language model only writes the few sentences around them.
"""
