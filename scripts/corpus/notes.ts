/**
 * A second domain for the post-pretraining chapter: short weather reports and cooking notes.
 * The words overlap with the stories (colours, foods, places) but the form does not: no
 * characters, no plot, second person and lists.
 */
import { Dice } from './dice';
import { FOODS, PLACES } from './words';

const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;
const SKIES = [
  { sky: 'sunny', advice: 'Wear a hat and drink water.' },
  { sky: 'rainy', advice: 'Take an umbrella and wear boots.' },
  { sky: 'cloudy', advice: 'Bring a light coat.' },
  { sky: 'windy', advice: 'It is a good day to fly a kite.' },
  { sky: 'snowy', advice: 'Wear a warm coat, a scarf and gloves.' },
  { sky: 'foggy', advice: 'Walk slowly and stay close to a grown-up.' },
] as const;
const DISHES = [
  { dish: 'fruit salad', steps: ['Wash the fruit.', 'Cut the fruit into small pieces.', 'Put the pieces in a big bowl.', 'Mix them with a spoon.'] },
  { dish: 'pancakes', steps: ['Mix the flour, milk and eggs in a bowl.', 'Heat a pan.', 'Pour a little batter into the pan.', 'Turn the pancake when it has bubbles.'] },
  { dish: 'soup', steps: ['Cut the carrots and the onions.', 'Put them in a pot with water.', 'Let the soup cook for twenty minutes.', 'Add a little salt.'] },
  { dish: 'a sandwich', steps: ['Take two slices of bread.', 'Put butter on the bread.', 'Add cheese and tomato.', 'Put the second slice on top.'] },
  { dish: 'cookies', steps: ['Mix the butter and the sugar.', 'Add the flour and an egg.', 'Make small balls and put them on a tray.', 'Bake them for ten minutes.'] },
] as const;

export function writeNote(dice: Dice): string {
  if (dice.chance(0.5)) {
    const { sky, advice } = dice.pick(SKIES);
    const low = 2 + dice.below(15);
    const high = low + 3 + dice.below(8);
    return [
      `Weather for ${dice.pick(DAYS)} in ${dice.pick(PLACES).name}.`,
      `It will be ${sky} in the morning and ${dice.pick(SKIES).sky} in the afternoon.`,
      `The lowest temperature will be ${low} degrees and the highest will be ${high} degrees.`,
      advice,
    ].join(' ');
  }
  const { dish, steps } = dice.pick(DISHES);
  const fruits = dice.pickDistinct(FOODS, 3);
  const lines = [`How to make ${dish}.`];
  if (dish === 'fruit salad') lines.push(`You need ${fruits[0]}s, ${fruits[1]}s and ${fruits[2]}s.`);
  steps.forEach((step, i) => lines.push(`Step ${i + 1}: ${step}`));
  lines.push(dice.pick(['Enjoy!', 'Share it with your family.', 'Serve it warm.', 'Wash the dishes after.']));
  return lines.join(' ');
}
