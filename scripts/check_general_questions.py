"""Check candidate general questions on the embedded base model (greedy, 64 new tokens) and print which it
answers right by `answers_correctly`; the right ones (minus accidental keyword matches, checked by reading)
went into src/lift/samples/general_questions.json.

    LIFT_HOME=~/.lift .venv/bin/python scripts/check_general_questions.py
"""

import json

from lift.demo import answers_correctly
from lift.infer.generation import generate_batch
from lift.models import load_model
from lift.prompting import chat_prompt_ids

C = [
    ("What is the capital of Italy?", ["Rome"]),
    ("What is the capital of Australia?", ["Canberra"]),
    ("What is the capital of the United States?", ["Washington"]),
    ("What is the capital of India?", ["Delhi"]),
    ("What is the capital of Greece?", ["Athens"]),
    ("What is the capital of Portugal?", ["Lisbon"]),
    ("What is the capital of Ireland?", ["Dublin"]),
    ("What is the capital of Norway?", ["Oslo"]),
    ("What is the capital of Mexico?", ["Mexico City"]),
    ("What is the capital of South Korea?", ["Seoul"]),
    ("What is the capital of Austria?", ["Vienna"]),
    ("What is the capital of Sweden?", ["Stockholm"]),
    ("What color is grass?", ["green"]),
    ("What color are bananas when they are ripe?", ["yellow"]),
    ("What color is snow?", ["white"]),
    ("What is the color of a ripe tomato?", ["red"]),
    ("How many days are in a year?", ["365"]),
    ("How many months are in a year?", ["12|twelve"]),
    ("How many minutes are in an hour?", ["60|sixty"]),
    ("How many seconds are in a minute?", ["60|sixty"]),
    ("How many wheels does a bicycle have?", ["two|2"]),
    ("How many sides does a triangle have?", ["three|3"]),
    ("How many sides does a square have?", ["four|4"]),
    ("What is 2 plus 2?", ["4|four"]),
    ("What is 10 minus 3?", ["7|seven"]),
    ("What is 5 times 5?", ["25|twenty-five"]),
    ("What is the opposite of big?", ["small|little"]),
    ("What is the opposite of day?", ["night"]),
    ("What is the opposite of happy?", ["sad|unhappy"]),
    ("What is the opposite of fast?", ["slow"]),
    ("Which animal is known as the king of the jungle?", ["lion"]),
    ("What animal says moo?", ["cow"]),
    ("What do cows produce that people drink?", ["milk"]),
    ("What is frozen water called?", ["ice"]),
    ("What is the largest planet in our solar system?", ["Jupiter"]),
    ("What star is at the center of our solar system?", ["Sun"]),
    ("What is the natural satellite of the Earth called?", ["Moon"]),
    ("Who wrote Romeo and Juliet?", ["Shakespeare"]),
    ("What is the largest country in the world by area?", ["Russia"]),
    ("In which country are the pyramids of Giza?", ["Egypt"]),
    ("What language is spoken in France?", ["French"]),
    ("What language is spoken in Germany?", ["German"]),
    ("What language is spoken in Italy?", ["Italian"]),
    ("What is H2O commonly called?", ["water"]),
    ("What organ pumps blood through the body?", ["heart"]),
    ("What do we call a baby dog?", ["puppy"]),
    ("What do we call a baby cat?", ["kitten"]),
    ("Which season comes after winter?", ["spring"]),
    ("Which season comes after summer?", ["autumn|fall"]),
    ("What is the first day of the week in the United States?", ["Sunday"]),
    ("What is the first letter of the English alphabet?", ["A"]),
    ("What do you call a person who treats sick people?", ["doctor"]),
    ("What do bees collect from flowers?", ["nectar|pollen"]),
    ("What is the currency of the United States?", ["dollar"]),
    ("What is the currency of the United Kingdom?", ["pound"]),
    ("What instrument has black and white keys?", ["piano"]),
    ("What is the hottest planet in our solar system?", ["Venus"]),
    ("How many players are on a soccer team on the field?", ["11|eleven"]),
    ("What is the longest river in Africa?", ["Nile"]),
    ("Which ocean lies between Europe and North America?", ["Atlantic"]),
]
loaded = load_model(None, "cpu")
prompts = [chat_prompt_ids(loaded.tokenizer, q, "You are a helpful assistant.") for q, _ in C]
answers = generate_batch(loaded.model, loaded.tokenizer, prompts, max_new_tokens=64)
keep = []
for (q, k), a in zip(C, answers, strict=True):
    ok = answers_correctly(a, k)
    print(ok, q, "->", a[:120].replace("\n", " "))
    if ok:
        keep.append({"question": q, "keywords": k})
print(json.dumps(keep, indent=1))
print(len(keep), "of", len(C))
