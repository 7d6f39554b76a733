import { Injectable, type PipeTransform } from '@nestjs/common';
import { shown } from '../../errors/control-plane-error';
import { badUserInput } from '../../graphql/bad-user-input';

/**
 * A model's name is its folder's name in the Triton model repository, and file systems cap a name
 * at 255 bytes: a longer argument names no model, and is refused before it reaches the database.
 */
export const MAX_MODEL_NAME_BYTES = 255;

@Injectable()
export class ModelNamePipe implements PipeTransform<string, string> {
  transform(name: string): string {
    const bytes = Buffer.byteLength(name);
    if (bytes > MAX_MODEL_NAME_BYTES) {
      throw badUserInput(
        `name ${shown(name, 32)} is ${bytes} bytes long; model names are at most ${MAX_MODEL_NAME_BYTES} bytes`,
        { argument: 'name', maximum: MAX_MODEL_NAME_BYTES },
      );
    }
    return name;
  }
}
