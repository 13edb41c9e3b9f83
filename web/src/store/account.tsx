import { useState } from 'preact/hooks';
import { navigate } from '../shared/router';
import { Field, ProblemBanner, errorFields, useTitle } from '../shared/ui';
import { api } from './session';

function useSubmit(action: (form: FormData) => Promise<void>) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const onSubmit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await action(new FormData(event.currentTarget as HTMLFormElement));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return { error, busy, onSubmit };
}

const text = (form: FormData, name: string) => String(form.get(name) ?? '');

export function SignUp({ next }: { next: string }) {
  useTitle('Sign up');
  const { error, busy, onSubmit } = useSubmit(async (form) => {
    await api.request('POST', '/users/register', { email: text(form, 'email'), password: text(form, 'password'), name: text(form, 'name') }, { anonymous: true });
    await api.login(text(form, 'email'), text(form, 'password'));
    navigate(next);
  });
  const fields = errorFields(error);
  return (
    <section class="narrow" aria-labelledby="signup-title">
      <h1 id="signup-title">Sign up</h1>
      <form onSubmit={onSubmit} noValidate>
        <Field label="Email" name="email" type="email" autocomplete="email" required errors={fields} />
        <Field label="Password" name="password" type="password" autocomplete="new-password" required minLength={10} hint="At least 10 characters, and not a common password." errors={fields} />
        <Field label="Name" name="name" autocomplete="name" required errors={fields} />
        <ProblemBanner error={error} />
        <button type="submit" class="primary" disabled={busy}>
          Sign up
        </button>
      </form>
      <p>
        Already have an account? <a href={`#/login?next=${encodeURIComponent(next)}`}>Log in</a>
      </p>
    </section>
  );
}

export function LogIn({ next }: { next: string }) {
  useTitle('Log in');
  const { error, busy, onSubmit } = useSubmit(async (form) => {
    await api.login(text(form, 'email'), text(form, 'password'));
    navigate(next);
  });
  const fields = errorFields(error);
  return (
    <section class="narrow" aria-labelledby="login-title">
      <h1 id="login-title">Log in</h1>
      <form onSubmit={onSubmit} noValidate>
        <Field label="Email" name="email" type="email" autocomplete="email" required errors={fields} />
        <Field label="Password" name="password" type="password" autocomplete="current-password" required errors={fields} />
        <ProblemBanner error={error} />
        <button type="submit" class="primary" disabled={busy}>
          Log in
        </button>
      </form>
      <p>
        New here? <a href={`#/signup?next=${encodeURIComponent(next)}`}>Sign up</a>
      </p>
    </section>
  );
}
