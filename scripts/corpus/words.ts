/**
 * The word lists the story grammar draws from. Names come from a large pool (200+) so that a
 * character's name cannot be guessed from priors: after the first mention, the only way to
 * predict it is to copy it from earlier in the story, which is what an induction head learns.
 * Names that are also English words (Will, Hope, Mark, Rose ...) are left out so that every
 * occurrence of a name in a story is a mention of a character.
 */

export const GIRL_NAMES = [
  'Anna', 'Lucy', 'Emma', 'Ruby', 'Kate', 'Amy', 'Eva', 'Alice', 'Grace', 'Clara', 'Jane',
  'Kim', 'Ann', 'Mary', 'Lisa', 'Beth', 'Pam', 'Nell', 'Pia', 'Elle', 'Anne', 'Julia', 'Helen',
  'Laura', 'Nancy', 'Susan', 'Ada', 'Barbara', 'Betty', 'Carol', 'Ellen', 'Joan', 'Kelly',
  'Maria', 'Ruth', 'Sarah', 'Nova', 'Rosa', 'Ama', 'Flo', 'Meg', 'Peg', 'Viv', 'Lily', 'Mia',
  'Zoe', 'Ella', 'Ivy', 'Nina', 'Daisy', 'Sophie', 'Molly', 'Lola', 'Ava', 'Chloe', 'Maya',
  'Sara', 'Dora', 'Gina', 'Iris', 'Jill', 'Lena', 'Nora', 'Rita', 'Tara', 'Vera', 'Zara',
  'Bella', 'Elsa', 'Jade', 'Lara', 'Tess', 'Abby', 'Fay', 'Ida', 'Lulu', 'Mona', 'Uma',
  'Diana', 'Emily', 'Rachel', 'Wendy', 'Cindy', 'Holly', 'Judy', 'Linda', 'Olivia', 'Penny',
  'Sally', 'Stella', 'Tina', 'Jenny', 'Hannah', 'Leah', 'Mila', 'Luna', 'Aria', 'Elena',
  'Sofia', 'Olga', 'Heidi', 'Greta', 'Karin', 'Ingrid', 'Astrid', 'Yuki', 'Mei', 'Priya',
  'Asha', 'Leila', 'Fatima',
] as const;

export const BOY_NAMES = [
  'Tom', 'Max', 'Ben', 'Sam', 'Jack', 'Leo', 'Finn', 'Luke', 'Adam', 'Hugo', 'Oscar', 'Henry',
  'Felix', 'Oliver', 'Jacob', 'Ryan', 'Dan', 'Tim', 'Bob', 'Joe', 'Nick', 'Paul', 'Tony', 'Carl',
  'Eric', 'Fred', 'Karl', 'Mike', 'Otto', 'Dean', 'Ian', 'Vic', 'Cole', 'Dave', 'Glen', 'Hal',
  'Jon', 'Kurt', 'Ned', 'Phil', 'Roy', 'Sid', 'Ted', 'Chris', 'Frank', 'George', 'Jim', 'Kevin',
  'Martin', 'Peter', 'Steve', 'Victor', 'Alex', 'Andy', 'Bruce', 'Charlie', 'David', 'Edward',
  'Harry', 'James', 'John', 'Lewis', 'Michael', 'Robert', 'Simon', 'Thomas', 'William', 'Billy',
  'Jimmy', 'Johnny', 'Arthur', 'Louis', 'Albert', 'Walter', 'Ralph', 'Carlos', 'Diego', 'Pedro',
  'Juan', 'Marco', 'Paolo', 'Anton', 'Ivan', 'Hans', 'Fritz', 'Lars', 'Erik', 'Raj', 'Ali',
  'Lou', 'Gil', 'Bo', 'Noah', 'Jake', 'Owen', 'Toby', 'Liam', 'Ethan', 'Pete', 'Hank', 'Seth',
  'Walt', 'Yuri', 'Cody', 'Gus', 'Kai', 'Milo', 'Omar', 'Rex', 'Quinn', 'Wade', 'Danny', 'Sammy',
  'Lenny', 'Benny', 'Freddy', 'Teddy', 'Eddie', 'Archie', 'Ollie', 'Jasper', 'Boris', 'Igor',
  'Nils', 'Sven', 'Axel', 'Kenji', 'Hiro', 'Ravi', 'Amir', 'Hassan', 'Kofi', 'Zane', 'Miles',
  'Jude',
] as const;

export const COLOURS = [
  'red', 'blue', 'green', 'yellow', 'pink', 'purple', 'orange', 'brown', 'white', 'black', 'gold',
] as const;

/** Toys and small things a child can own, lose, share or find. */
export const TOYS = [
  'ball', 'kite', 'doll', 'car', 'boat', 'hat', 'book', 'drum', 'train', 'teddy bear', 'box',
  'cup', 'shoe', 'bike', 'robot', 'crayon', 'scarf', 'bucket', 'balloon', 'ring', 'spoon',
  'whistle', 'block', 'puzzle', 'sock', 'bag', 'rock', 'shell', 'flower', 'stick',
] as const;

export const FOODS = [
  'apple', 'cookie', 'cake', 'banana', 'sandwich', 'pie', 'orange', 'muffin', 'carrot', 'pear',
  'candy', 'bun', 'peach', 'plum', 'pancake',
] as const;

export interface Animal {
  kind: string;
  /** What it says, for "The dog said, 'Woof!'". */
  sound: string;
  /** What it does when it is happy. */
  happyAction: string;
  /** What it likes to eat. */
  food: string;
}

export const ANIMALS: readonly Animal[] = [
  { kind: 'dog', sound: 'Woof', happyAction: 'wagged its tail', food: 'a bone' },
  { kind: 'cat', sound: 'Meow', happyAction: 'purred', food: 'some fish' },
  { kind: 'bird', sound: 'Tweet', happyAction: 'sang a song', food: 'some seeds' },
  { kind: 'frog', sound: 'Ribbit', happyAction: 'jumped up and down', food: 'a fly' },
  { kind: 'duck', sound: 'Quack', happyAction: 'flapped its wings', food: 'some bread' },
  { kind: 'cow', sound: 'Moo', happyAction: 'swished its tail', food: 'some grass' },
  { kind: 'pig', sound: 'Oink', happyAction: 'rolled in the mud', food: 'an apple' },
  { kind: 'sheep', sound: 'Baa', happyAction: 'hopped in the grass', food: 'some grass' },
  { kind: 'mouse', sound: 'Squeak', happyAction: 'danced on its toes', food: 'some cheese' },
  { kind: 'owl', sound: 'Hoot', happyAction: 'blinked its big eyes', food: 'a bug' },
  { kind: 'bunny', sound: 'Sniff', happyAction: 'hopped around', food: 'a carrot' },
  { kind: 'horse', sound: 'Neigh', happyAction: 'ran in a circle', food: 'some hay' },
  { kind: 'lion', sound: 'Roar', happyAction: 'shook its mane', food: 'some meat' },
  { kind: 'bear', sound: 'Grr', happyAction: 'gave a big hug', food: 'some honey' },
  { kind: 'fox', sound: 'Yip', happyAction: 'played in the leaves', food: 'some berries' },
  { kind: 'squirrel', sound: 'Chitter', happyAction: 'ran up a tree', food: 'a nut' },
];

export interface Place {
  /** "the park", used after "to", "at", "in". */
  name: string;
  /** Things found there, for hiding places and scenery. */
  spots: readonly string[];
}

export const PLACES: readonly Place[] = [
  { name: 'the park', spots: ['under a bench', 'behind a tree', 'near the swings', 'in the tall grass'] },
  { name: 'the garden', spots: ['under a big leaf', 'behind the roses', 'in a flower pot', 'near the fence'] },
  { name: 'the beach', spots: ['under the sand', 'behind a rock', 'near the water', 'in a sand castle'] },
  { name: 'the forest', spots: ['under a log', 'behind a bush', 'in a hole', 'near a big tree'] },
  { name: 'the farm', spots: ['in the barn', 'under the hay', 'behind the gate', 'near the pond'] },
  { name: 'the school', spots: ['under a desk', 'behind the door', 'in a box', 'near the window'] },
  { name: 'the house', spots: ['under the bed', 'behind the sofa', 'in the kitchen', 'near the door'] },
  { name: 'the lake', spots: ['under a rock', 'behind the boat', 'in the reeds', 'near the dock'] },
  { name: 'the hill', spots: ['under a stone', 'behind a bush', 'in the grass', 'near the top'] },
  { name: 'the town', spots: ['under a car', 'behind a shop', 'in the street', 'near the bakery'] },
];

export const WEATHER = [
  'The sun was shining.', 'It was a warm and sunny day.', 'The sky was blue.',
  'It was a cold day.', 'The wind was blowing.', 'It was raining a little.',
  'There were white clouds in the sky.', 'The birds were singing.',
] as const;

export const GAMES = [
  'tag', 'hide and seek', 'catch', 'ball', 'with blocks', 'in the sand', 'with the kite',
  'pretend', 'with cars',
] as const;

/** Things a child can be afraid of, and what makes the fear go away. */
export const FEARS = [
  { thing: 'the dark', brave: 'turned on a small light' },
  { thing: 'the big slide', brave: 'went down the slide' },
  { thing: 'the water', brave: 'put a foot in the water' },
  { thing: 'the loud thunder', brave: 'counted to ten' },
  { thing: 'the tall tree', brave: 'climbed up one branch' },
  { thing: 'the new school', brave: 'walked in the door' },
] as const;

/** Things two friends can build together, and what they build them from. */
export const BUILDS = [
  { thing: 'a tower', material: 'blocks' },
  { thing: 'a sand castle', material: 'sand' },
  { thing: 'a fort', material: 'pillows' },
  { thing: 'a snowman', material: 'snow' },
  { thing: 'a little house', material: 'sticks' },
  { thing: 'a boat', material: 'paper' },
] as const;

export const FAMILY = [
  { title: 'Mom', pronoun: 'she' },
  { title: 'Dad', pronoun: 'he' },
  { title: 'Grandma', pronoun: 'she' },
  { title: 'Grandpa', pronoun: 'he' },
] as const;

export const MORALS = [
  'It is good to share with friends.',
  'Friends help each other.',
  'Being kind makes everyone happy.',
  'It is good to say sorry.',
  'Trying again is how we learn.',
  'It is fun to do things together.',
] as const;
