/**
 * A small Chinese set in the same style as the English stories, for the multilingual chapter.
 * Many of these characters are single Llama-2 tokens; the rest fall back to UTF-8 bytes, three
 * tokens per character, which is the point the chapter makes.
 */
import { Dice } from './dice';

const NAMES = [
  '小美', '小明', '小红', '小兰', '乐乐', '天天', '丁丁', '贝贝', '豆豆', '明明', '方方', '安安',
  '文文', '月月', '星星', '阳阳', '冬冬', '欢欢', '花花', '毛毛', '小云', '小雨', '小宝', '小虎',
] as const;
const COLOURS = ['红色', '蓝色', '绿色', '黄色', '白色', '黑色'] as const;
const TOYS = ['球', '风筝', '小车', '娃娃', '书', '帽子'] as const;
const FOODS = ['苹果', '饼干', '蛋糕', '香蕉', '包子'] as const;
const PLACES = [
  { name: '公园', spot: '大树后面' },
  { name: '花园', spot: '花丛里' },
  { name: '海边', spot: '沙子下面' },
  { name: '学校', spot: '桌子下面' },
  { name: '家里', spot: '床下面' },
] as const;
const ANIMALS = [
  { kind: '狗', sound: '汪汪' },
  { kind: '猫', sound: '喵喵' },
  { kind: '鸟', sound: '叽叽' },
  { kind: '鸭子', sound: '嘎嘎' },
  { kind: '兔子', sound: '吱吱' },
] as const;

export interface ChineseStory {
  text: string;
  names: string[];
}

export function writeChineseStory(dice: Dice): ChineseStory {
  const [hero, friend] = dice.pickDistinct(NAMES, 2);
  const child = dice.pick(['小女孩', '小男孩']);
  const place = dice.pick(PLACES);
  const opening = `从前，有一个${child}叫${hero}。`;
  const plot = dice.below(3);
  let body: string;
  if (plot === 0) {
    const toy = dice.pick(TOYS);
    body =
      `${hero}有一个${dice.pick(COLOURS)}的${toy}。有一天，${hero}和朋友${friend}去${place.name}玩。` +
      `他们玩得很开心。后来，${hero}找不到${toy}了。${hero}很难过。` +
      `${friend}说："别难过，我来帮你找。"${friend}在${place.spot}找到了${toy}。` +
      `${hero}高兴地说："谢谢你，${friend}！"从那天起，${hero}和${friend}成了最好的朋友。`;
  } else if (plot === 1) {
    const food = dice.pick(FOODS);
    body =
      `妈妈给了${hero}三个${food}。${hero}在${place.name}遇到了${friend}。` +
      `${friend}很饿，说："我可以吃一个${food}吗？"${hero}说："不行，这是我的！"` +
      `${friend}很伤心。${hero}觉得自己不好，就把一个${food}给了${friend}。` +
      `${friend}笑着说："谢谢你，${hero}！"他们一起吃${food}，非常开心。分享让大家都快乐。`;
  } else {
    const animal = dice.pick(ANIMALS);
    body =
      `有一天，${hero}去${place.name}散步。${hero}听到"${animal.sound}"的声音。` +
      `${hero}看见一只小${animal.kind}在${place.spot}。小${animal.kind}饿了。` +
      `${hero}说："别怕，我来帮你。"${hero}给了小${animal.kind}一些吃的。` +
      `${hero}给小${animal.kind}起名叫${friend}。每天${hero}都去看${friend}。${hero}和${friend}成了好朋友。`;
  }
  return { text: opening + body, names: [hero, friend] };
}
