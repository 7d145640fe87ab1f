"""Self-check questions for the lessons: choose an answer, get an explanation.

``quiz(question, options, answer, explanation, section)`` shows the question with its options
(core ipywidgets only) and a Check button. The feedback says whether the choice was right,
explains the right answer, and points back to the section of the lesson that teaches it, so
a wrong answer leads somewhere instead of just saying "no".

>>> q = quiz("How many stages does a word count need?", ["1", "2", "3"], answer="2",
...          explanation="reduceByKey needs a shuffle, and a shuffle starts a new stage.",
...          section="3. Narrow and wide")
>>> q.choices.value = "1"; q.check_button.click(); "Not quite" in q.feedback.value
True
>>> q.choices.value = "2"; q.check_button.click(); "Right" in q.feedback.value
True
"""

import html

import ipywidgets as widgets


class Quiz(widgets.VBox):
    def __init__(self, question, options, answer, explanation, section=None, **kwargs):
        super().__init__(**kwargs)
        if answer not in options:
            raise ValueError(f"the answer {answer!r} is not one of the options {options!r}")
        self.answer, self.explanation, self.section = answer, explanation, section
        self.question = widgets.HTML(f"<b>{html.escape(question)}</b>")
        self.choices = widgets.RadioButtons(options=list(options), value=None,
                                            layout=widgets.Layout(width="auto"))
        self.check_button = widgets.Button(description="Check", button_style="info")
        self.feedback = widgets.HTML()
        self.check_button.on_click(lambda _: self._check())
        self.add_class("ms-quiz")
        self.children = [self.question, self.choices, self.check_button, self.feedback]

    def _check(self):
        where = f" See section “{html.escape(self.section)}”." if self.section else ""
        if self.choices.value is None:
            self.feedback.value = "Choose an answer first."
        elif self.choices.value == self.answer:
            self.feedback.value = (f"<span style='color:#3aa364'><b>Right.</b></span> "
                                   f"{html.escape(self.explanation)}")
        else:
            self.feedback.value = (f"<span style='color:#d9534f'><b>Not quite.</b></span> "
                                   f"The answer is <b>{html.escape(str(self.answer))}</b>: "
                                   f"{html.escape(self.explanation)}{where}")

    def __repr__(self):
        return f"Quiz({self.question.value[3:-4]!r})"


def quiz(question, options, answer, explanation, section=None) -> Quiz:
    """A multiple-choice self-check question (see the module docstring)."""
    return Quiz(question, options, answer, explanation, section)
