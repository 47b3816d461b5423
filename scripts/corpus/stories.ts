/**
 * A story grammar in the spirit of TinyStories: a few characters whose names recur, animals,
 * toys, colours, places, feelings, dialogue in quotes, cause and effect ("because", "so"), and
 * six plot shapes. Each story also records its characters' names, so the name-recall evaluation
 * can find the second mention of each one.
 */
import { Dice } from './dice';
import {
  ANIMALS, BOY_NAMES, BUILDS, COLOURS, FAMILY, FEARS, FOODS, GAMES, GIRL_NAMES, MORALS, PLACES,
  TOYS, WEATHER, type Animal, type Place,
} from './words';

export interface Story {
  text: string;
  /** Names of the characters, in order of first mention. */
  names: string[];
  plot: PlotName;
}

interface Character {
  name: string;
  /** "girl", "boy", or an animal kind such as "dog". */
  kind: string;
  he: 'he' | 'she' | 'it';
  his: 'his' | 'her' | 'its';
  him: 'him' | 'her' | 'it';
  animal?: Animal;
}

export const PLOT_NAMES = ['lostToy', 'sharing', 'helpAnimal', 'fear', 'race', 'build'] as const;
export type PlotName = (typeof PLOT_NAMES)[number];

const capitalise = (text: string) => text[0].toUpperCase() + text.slice(1);
/** "a" or "an", by the noun's first letter. */
export const article = (noun: string) => (/^[aeiou]/.test(noun) ? 'an' : 'a');

function child(dice: Dice, taken: Set<string>): Character {
  const girl = dice.chance(0.5);
  const name = pickName(dice, girl ? GIRL_NAMES : BOY_NAMES, taken);
  return girl
    ? { name, kind: 'girl', he: 'she', his: 'her', him: 'her' }
    : { name, kind: 'boy', he: 'he', his: 'his', him: 'him' };
}

function pet(dice: Dice, taken: Set<string>): Character {
  const animal = dice.pick(ANIMALS);
  const name = pickName(dice, dice.chance(0.5) ? GIRL_NAMES : BOY_NAMES, taken);
  return { name, kind: animal.kind, he: 'it', his: 'its', him: 'it', animal };
}

function pickName(dice: Dice, pool: readonly string[], taken: Set<string>): string {
  let name = dice.pick(pool);
  while (taken.has(name)) name = dice.pick(pool);
  taken.add(name);
  return name;
}

/** The first sentence that brings the hero in. */
function introduce(dice: Dice, hero: Character): string {
  const little = dice.pick(['', 'little ', 'happy ', 'kind ', 'small ']);
  return dice.pick([
    `Once upon a time, there was ${article(little || hero.kind)} ${little}${hero.kind} named ${hero.name}.`,
    `Once upon a time, there was ${article(little || hero.kind)} ${little}${hero.kind} called ${hero.name}.`,
    `There once was ${article(little || hero.kind)} ${little}${hero.kind} named ${hero.name}.`,
    `Once upon a time, ${article(little || hero.kind)} ${little}${hero.kind} named ${hero.name} lived near ${dice.pick(PLACES).name}.`,
  ]);
}

/** Brings a second character in; the next sentence usually names them again. */
function meet(dice: Dice, hero: Character, friend: Character, place: Place): string {
  if (friend.animal) {
    return dice.pick([
      `${hero.name} had a ${friend.kind} named ${friend.name}.`,
      `At ${place.name}, ${hero.name} met a ${friend.kind} named ${friend.name}.`,
      `${hero.name} had a pet ${friend.kind}. The ${friend.kind} was called ${friend.name}.`,
    ]);
  }
  return dice.pick([
    `${capitalise(hero.his)} best friend was ${article(friend.kind)} ${friend.kind} named ${friend.name}.`,
    `One day, ${hero.name} went to ${place.name} with ${hero.his} friend ${friend.name}.`,
    `At ${place.name}, ${hero.name} met ${article(friend.kind)} ${friend.kind} named ${friend.name}.`,
    `${hero.name} had a friend called ${friend.name}.`,
  ]);
}

/** A sentence about the friend right after they are introduced: the second mention of the name. */
function describe(dice: Dice, friend: Character): string {
  if (friend.animal) {
    return dice.pick([
      `${friend.name} was a very good ${friend.kind}.`,
      `${friend.name} liked to eat ${friend.animal.food}.`,
      `${friend.name} always said, "${friend.animal.sound}!"`,
      `${friend.name} ${friend.animal.happyAction} when it was happy.`,
    ]);
  }
  return dice.pick([
    `${friend.name} was very kind.`,
    `${friend.name} liked to play ${dice.pick(GAMES)}.`,
    `${friend.name} had a big smile.`,
    `${friend.name} was ${dice.pick(['funny', 'brave', 'shy', 'smart', 'fast'])}.`,
    `${friend.name} said, "Hello, ${dice.pick(['how are you', 'do you want to play', 'I like your hat'])}?"`,
  ]);
}

function lostToy(dice: Dice, hero: Character, friend: Character, place: Place): string[] {
  const colour = dice.pick(COLOURS);
  const toy = dice.pick(TOYS);
  const spot = dice.pick(place.spots);
  const lines = [
    dice.pick([
      `${hero.name} had ${article(colour)} ${colour} ${toy}.`,
      `${hero.name} loved ${hero.his} ${colour} ${toy} very much.`,
      `${capitalise(hero.he)} had a favourite ${toy}. It was ${colour}.`,
    ]),
    `${hero.name} took the ${toy} to ${place.name}.`,
    meet(dice, hero, friend, place),
    describe(dice, friend),
    `They played ${dice.pick(GAMES)} all morning.`,
    `Then ${hero.name} looked for the ${colour} ${toy}, but it was gone!`,
    `${hero.name} was sad because ${hero.he} could not find ${hero.his} ${toy}.`,
    dice.pick([
      `"Where is my ${toy}?" ${hero.name} asked.`,
      `"I lost my ${toy}," ${hero.name} said. "Can you help me?"`,
    ]),
    friend.animal
      ? `${friend.name} said, "${friend.animal.sound}!" and ran to look.`
      : `"I will help you," said ${friend.name}.`,
    `They looked ${dice.pick(place.spots)}, but the ${toy} was not there.`,
    `Then ${friend.name} looked ${spot}.`,
    `${friend.name} found the ${colour} ${toy} ${spot}!`,
    `${hero.name} was so happy. "Thank you, ${friend.name}!" ${hero.he} said.`,
  ];
  if (friend.animal) lines.push(`${friend.name} ${friend.animal.happyAction}.`);
  lines.push(dice.pick([
    `From that day on, ${hero.name} and ${friend.name} were best friends.`,
    `${hero.name} held the ${toy} tight all the way home.`,
    MORALS[1],
  ]));
  return lines;
}

function sharing(dice: Dice, hero: Character, friend: Character, place: Place): string[] {
  const food = dice.pick(FOODS);
  const family = dice.pick(FAMILY);
  const count = dice.pick(['two', 'three', 'four']);
  return [
    `${hero.name} had ${count} ${food}s.`,
    `${family.title} gave them to ${hero.him} in the morning.`,
    meet(dice, hero, friend, place),
    describe(dice, friend),
    `${friend.name} looked at the ${food}s. ${capitalise(friend.he)} was hungry.`,
    friend.animal
      ? `"${friend.animal.sound}," said ${friend.name}. It wanted a ${food} too.`
      : `"Can I have a ${food}?" asked ${friend.name}.`,
    `But ${hero.name} did not want to share. "No, they are mine!" ${hero.he} said.`,
    `${friend.name} was sad, so ${friend.he} sat down ${dice.pick(place.spots)}.`,
    `${hero.name} saw that ${friend.name} was sad.`,
    `${hero.name} felt bad because ${hero.he} was not kind.`,
    `So ${hero.name} gave ${friend.name} a ${food}. "Here, this is for you," ${hero.he} said.`,
    friend.animal
      ? `${friend.name} ate the ${food} and ${friend.animal.happyAction}.`
      : `"Thank you, ${hero.name}!" said ${friend.name} with a big smile.`,
    `They ate the ${food}s together at ${place.name}.`,
    `When ${hero.name} got home, ${hero.he} told ${family.title} about ${friend.name}.`,
    `${family.title} said, "I am proud of you, ${hero.name}."`,
    dice.pick([MORALS[0], MORALS[2], `${hero.name} learned that sharing is fun.`]),
  ];
}

function helpAnimal(dice: Dice, hero: Character, friend: Character, place: Place): string[] {
  // The friend is the animal the hero finds; it gets its name halfway through the story.
  const animal = friend.animal ?? dice.pick(ANIMALS);
  const trouble = dice.pick(['stuck in a tree', 'lost', 'hungry', 'stuck in the mud', 'cold']);
  const help: Record<string, string> = {
    hungry: `${hero.name} gave the ${animal.kind} ${animal.food}.`,
    cold: `${hero.name} put ${hero.his} ${dice.pick(COLOURS)} scarf around the ${animal.kind}.`,
    lost: `${hero.name} helped the ${animal.kind} find its home.`,
  };
  return [
    dice.pick(WEATHER),
    `${hero.name} went for a walk to ${place.name}.`,
    `${capitalise(hero.he)} heard a small sound. "${animal.sound}, ${animal.sound.toLowerCase()}!"`,
    `${hero.name} looked ${dice.pick(place.spots)} and saw a little ${animal.kind}.`,
    `The ${animal.kind} was ${trouble}.`,
    `"Poor little ${animal.kind}," said ${hero.name}. "I will help you."`,
    help[trouble] ?? `${hero.name} pulled and pulled, and the ${animal.kind} was free!`,
    `The ${animal.kind} ${animal.happyAction}.`,
    `${hero.name} said, "I will call you ${friend.name}."`,
    `${friend.name} liked its new name.`,
    `Every day, ${hero.name} came to ${place.name} to see ${friend.name}.`,
    `${hero.name} brought ${animal.food} for ${friend.name}, and ${friend.name} said, "${animal.sound}!"`,
    dice.pick([
      `${hero.name} and ${friend.name} were the best of friends.`,
      `${hero.name} was happy because ${hero.he} had helped a friend.`,
      MORALS[2],
    ]),
  ];
}

function fear(dice: Dice, hero: Character, friend: Character, place: Place): string[] {
  const { thing, brave } = dice.pick(FEARS);
  return [
    `${hero.name} was scared of ${thing}.`,
    `Every time ${hero.he} saw ${thing}, ${hero.he} wanted to run away.`,
    meet(dice, hero, friend, place),
    describe(dice, friend),
    `${friend.name} saw that ${hero.name} was scared.`,
    friend.animal
      ? `${friend.name} came close and said, "${friend.animal.sound}." It sat next to ${hero.name}.`
      : `"Do not be scared," said ${friend.name}. "I am here with you."`,
    `${hero.name} held ${friend.name}'s ${friend.animal ? 'paw' : 'hand'}.`,
    `${capitalise(hero.he)} took a big breath and ${brave}.`,
    `It was not so bad! ${hero.name} felt brave.`,
    `"I did it!" said ${hero.name}. "Thank you, ${friend.name}."`,
    `${hero.name} was proud, and ${friend.name} was proud too.`,
    dice.pick([
      `Now ${hero.name} is not scared of ${thing} anymore.`,
      `From that day on, ${hero.name} was brave.`,
      MORALS[1],
    ]),
  ];
}

function race(dice: Dice, hero: Character, friend: Character, place: Place): string[] {
  const goal = dice.pick(['the big tree', 'the red gate', 'the old fence', 'the top of the hill', 'the pond']);
  const faller = dice.chance(0.5) ? hero : friend;
  const helper = faller === hero ? friend : hero;
  return [
    dice.pick(WEATHER),
    meet(dice, hero, friend, place),
    describe(dice, friend),
    `"Let's have a race to ${goal}!" said ${hero.name}.`,
    `"Yes!" said ${friend.name}. "Ready, set, go!"`,
    `${hero.name} and ${friend.name} ran very fast.`,
    `But ${faller.name} fell down and hurt ${faller.his} knee.`,
    `${faller.name} cried because ${faller.his} knee hurt.`,
    `${helper.name} stopped running and went back to help.`,
    `"Are you okay, ${faller.name}?" asked ${helper.name}.`,
    `${helper.name} helped ${faller.name} get up.`,
    `They walked to ${goal} together.`,
    `"We both won," said ${faller.name}, and ${helper.name} laughed.`,
    dice.pick([MORALS[1], MORALS[5], `Being a good friend is better than winning.`]),
  ];
}

function build(dice: Dice, hero: Character, friend: Character, place: Place): string[] {
  const { thing, material } = dice.pick(BUILDS);
  const breaker = dice.pick(['the wind', 'a big dog', 'a big wave', 'a little duck', 'the cat']);
  return [
    meet(dice, hero, friend, place),
    describe(dice, friend),
    `${hero.name} and ${friend.name} wanted to build ${thing}.`,
    `They used ${material} to make it.`,
    `${hero.name} put the ${material} at the bottom, and ${friend.name} put the ${material} on top.`,
    `It was very big and very ${dice.pick(['tall', 'pretty', 'strong'])}.`,
    `Then ${breaker} came, and the ${thing.replace(/^an? /, '')} fell down!`,
    `${hero.name} was angry. "Oh no!" ${hero.he} said.`,
    `${friend.name} was sad too. But then ${friend.he} had an idea.`,
    `"Let's build it again, and make it even better!" said ${friend.name}.`,
    `So ${hero.name} and ${friend.name} built it again.`,
    `This time it did not fall down. ${hero.name} and ${friend.name} were happy.`,
    dice.pick([MORALS[4], MORALS[5], `${hero.name} learned to never give up.`]),
  ];
}

const PLOTS: Record<PlotName, typeof lostToy> = { lostToy, sharing, helpAnimal, fear, race, build };

/** One whole story: an introduction, then one plot shape with two characters. */
export function writeStory(dice: Dice): Story {
  const taken = new Set<string>();
  const hero = child(dice, taken);
  const plot = dice.pick(PLOT_NAMES);
  // In "helpAnimal" the second character is the animal the hero names, so it is always a pet.
  const friend = plot === 'helpAnimal' || dice.chance(0.3) ? pet(dice, taken) : child(dice, taken);
  const place = dice.pick(PLACES);
  const opening = [introduce(dice, hero)];
  if (dice.chance(0.5)) opening.push(dice.pick(WEATHER));
  const text = [...opening, ...PLOTS[plot](dice, hero, friend, place)].join(' ');
  return { text, names: [hero.name, friend.name], plot };
}
