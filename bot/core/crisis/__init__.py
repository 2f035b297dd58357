"""Crisis assessment: who may be in danger, of what kind, and how sure we are.

Three layers, each in its own module: the lexicon (:mod:`.lexicon`, a deterministic
floor that overrides everything unless told as history or negated), a model trained for
this one job (:mod:`.model`), and the assessment that reads the message in the context
of the conversation and chooses a tier (:mod:`.assessment`). No Rasa imports here: the
NLU component :mod:`bot.nlu.crisis_guard` applies them.
"""
