// The "Adapt" checkboxes both LoRA widgets (the lab and the calculator) show: one per module
// LoRA can target, ticked for those in `modules`, in a fieldset the widget places itself.
import { LORA_TARGET_MODULES } from '../src/chapters/lora';
import { element } from './modelWidgetParts';

export function moduleCheckboxes(modules: readonly string[]): { moduleBox: HTMLFieldSetElement; boxes: HTMLInputElement[] } {
  const moduleBox = element('fieldset', 'lora-modules');
  moduleBox.append(element('legend', undefined, 'Adapt'));
  const boxes = LORA_TARGET_MODULES.map((module) => {
    const label = element('label');
    const box = element('input');
    box.type = 'checkbox';
    box.value = module;
    box.checked = modules.includes(module);
    label.append(box, module);
    moduleBox.append(label);
    return box;
  });
  return { moduleBox, boxes };
}
