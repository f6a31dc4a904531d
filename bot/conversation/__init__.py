"""The conversation room: the engine that takes a message in and writes the reply out,
the dialogue rules that choose the reply, forms, actions and NLU as the dialogue sees it."""
