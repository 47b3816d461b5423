/**
 * Instruction/response pairs in the Llama-2-chat format, for the supervised fine-tuning chapter:
 *
 *   [INST] {instruction} [/INST] {response}
 *
 * Training on these masks the prompt (everything up to and including "[/INST]") out of the loss,
 * so the model learns to answer, not to ask.
 */
import { Dice } from './dice';
import { article, writeStory } from './stories';
import { ANIMALS, COLOURS, FOODS, GIRL_NAMES, BOY_NAMES } from './words';

export interface ChatPair {
  /** Everything the user wrote, "[INST] ... [/INST]". Its tokens are masked out of the loss. */
  prompt: string;
  /** The answer, starting with a space. Only these tokens are trained on. */
  response: string;
}

export function writeChatPair(dice: Dice): ChatPair {
  const kind = dice.below(5);
  const animal = dice.pick(ANIMALS);
  let instruction: string;
  let answer: string;
  if (kind === 0) {
    instruction = `What sound does a ${animal.kind} make?`;
    answer = `A ${animal.kind} says "${animal.sound}!"`;
  } else if (kind === 1) {
    instruction = `What does a ${animal.kind} like to eat?`;
    answer = `A ${animal.kind} likes to eat ${animal.food}.`;
  } else if (kind === 2) {
    const story = writeStory(dice);
    instruction = `Who is this story about? ${story.text}`;
    answer = `This story is about ${story.names[0]} and ${story.names[1]}.`;
  } else if (kind === 3) {
    const girl = dice.chance(0.5);
    const name = dice.pick(girl ? GIRL_NAMES : BOY_NAMES);
    instruction = `Give me a name for a ${girl ? 'girl' : 'boy'}.`;
    answer = `How about ${name}? It is a nice name.`;
  } else {
    const [first, second] = dice.pickDistinct(FOODS, 2);
    const colour = dice.pick(COLOURS);
    instruction = `Write one sentence about ${article(colour)} ${colour} ${first} and ${article(second)} ${second}.`;
    answer = `There was ${article(colour)} ${colour} ${first} next to ${article(second)} ${second} on the table.`;
  }
  return { prompt: `[INST] ${instruction} [/INST]`, response: ` ${answer}` };
}
