// The lab at its default (r 4 on q, k, v and o of every layer): the adapter's trainable count is
// r (in + out) per projection, summed over the engine's layers and its projections' shapes.
import { expect } from 'vitest';
import { NAME_TASK } from '../../../src/chapters/lora';
import type { WidgetContract } from '../helpers/contracts';

export const contract: WidgetContract = async ({ widget, engine }) => {
  const { config } = (await engine()).model;
  const hidden = config.hidden_size;
  const kv = (hidden / config.num_attention_heads) * config.num_key_value_heads;
  const perLayer = NAME_TASK.r * ((hidden + hidden) + (hidden + kv) + (hidden + kv) + (hidden + hidden)); // q, k, v, o
  expect(NAME_TASK.modules).toEqual(['q_proj', 'k_proj', 'v_proj', 'o_proj']);
  expect(await widget.locator('[data-trainable]').getAttribute('data-trainable')).toBe(String(config.num_hidden_layers * perLayer));
};
