"""The generator prompt for per-sentence QA (seed 000, appendix C, as the reference implementation words it).

PROMPT_VERSION is part of every cache key: change it whenever the wording changes.
"""

PROMPT_VERSION = "sentence-qa-v1"

SYSTEM_PROMPT = """# Instruction
You are given a paragraph extracted from an article. Please read it and generate at most {num_questions} \
different questions based on the content of the **last part** of the paragraph. The questions should be \
diverse in both their form and the content they inquire about. Each answer must be short and stated in the \
paragraph.

# Output format
Output in the JSON format. DO NOT output anything else.
{{"qa_list": [{{"question": "...", "answer": "..."}}, {{"question": "...", "answer": "..."}}]}}
"""

USER_PROMPT = """The paragraph:
{paragraph}

The last part of the paragraph:
{sentence}

Generate {num_questions} different questions based on the content of the last part of the paragraph."""


def sentence_qa_messages(paragraph: str, sentence: str, num_questions: int) -> tuple[str, str]:
    """(system, user) messages asking for num_questions QA pairs about the last sentence of a paragraph."""
    return (
        SYSTEM_PROMPT.format(num_questions=num_questions),
        USER_PROMPT.format(paragraph=paragraph, sentence=sentence, num_questions=num_questions),
    )
