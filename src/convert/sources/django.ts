/**
 * Django: `auth_user` exported as CSV (`\copy auth_user to 'users.csv' with csv header`, or the
 * same for a custom user model's table). `password` is `<algorithm>$…` as
 * django.contrib.auth.hashers writes it (see hashes.ts). The table does not record whether an
 * email is verified, so `--email-verified` must say. Inactive users are left out.
 */
import { fromDjango } from '../hashes.ts';
import { csvRows, ExportFormatError } from '../input.ts';
import type { Source } from './source.ts';

export const django: Source = {
  recordsVerification: () => false,
  async *read({ options }) {
    let checked = false;
    for await (const row of csvRows(options.input)) {
      if (!checked) {
        checked = true;
        if (!('password' in row))
          throw new ExportFormatError(
            'The Django export has no password column: export the user table with "csv header".',
          );
      }
      const id = row.id ?? row.username ?? row.email ?? '';
      if (row.is_active === 'f' || row.is_active === 'false') {
        yield { id, leftOut: 'inactive in Django' };
        continue;
      }
      yield {
        id,
        // A custom user model may sign in with its email and have no username column.
        username: row.username ?? row.email ?? id,
        attributes: {
          email: row.email,
          given_name: row.first_name,
          family_name: row.last_name,
        },
        password: fromDjango(row.password?.trim() ?? ''),
      };
    }
  },
};
