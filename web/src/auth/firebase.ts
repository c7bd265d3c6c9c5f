/** Google sign-in through the Firebase JS SDK (the Auth emulator when one is configured). */
import type { Auth } from "firebase/auth";
import { config } from "../config";

let authPromise: Promise<Auth> | null = null;

/** The Firebase Auth instance, created on first use (the SDK is loaded only then). */
function firebaseAuth(): Promise<Auth> {
  authPromise ??= (async () => {
    const [{ initializeApp }, { getAuth, connectAuthEmulator }] = await Promise.all([
      import("firebase/app"),
      import("firebase/auth"),
    ]);
    const { apiKey, authDomain, projectId, emulatorUrl } = config.firebase;
    const app = initializeApp({ apiKey, authDomain, projectId });
    const auth = getAuth(app);
    if (emulatorUrl) connectAuthEmulator(auth, emulatorUrl, { disableWarnings: true });
    return auth;
  })();
  return authPromise;
}

/** Open Google's sign-in popup; the Firebase ID token of the signed-in user. */
export async function signInWithGoogle(): Promise<string> {
  const auth = await firebaseAuth();
  const { GoogleAuthProvider, signInWithPopup } = await import("firebase/auth");
  const result = await signInWithPopup(auth, new GoogleAuthProvider());
  return result.user.getIdToken();
}

/** A fresh ID token of the signed-in Firebase user, or null when there is none. */
export async function freshFirebaseToken(): Promise<string | null> {
  const auth = await firebaseAuth();
  await auth.authStateReady();
  return auth.currentUser ? auth.currentUser.getIdToken(true) : null;
}

export async function signOutOfFirebase(): Promise<void> {
  if (!authPromise) return;
  const auth = await authPromise;
  const { signOut } = await import("firebase/auth");
  await signOut(auth);
}
