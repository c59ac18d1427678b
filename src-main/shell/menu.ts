/**
 * The application menu: File (Add job…, Quit), View (Reload and DevTools only in development),
 * Help (About). Actions are passed in, so the template is plain data a test can read.
 */
import { Menu, type MenuItemConstructorOptions } from './electron';

export interface MenuActions {
  addJob(): void;
  quit(): void;
  about(): void;
  reload(): void;
  toggleDevTools(): void;
}

export function menuTemplate(
  actions: MenuActions,
  opts: { dev: boolean; mac: boolean },
): MenuItemConstructorOptions[] {
  const edit: MenuItemConstructorOptions = {
    // Without an Edit menu, copy/paste shortcuts do not work in text fields on macOS.
    label: 'Edit',
    submenu: [
      { role: 'undo' },
      { role: 'redo' },
      { type: 'separator' },
      { role: 'cut' },
      { role: 'copy' },
      { role: 'paste' },
      { role: 'selectAll' },
    ],
  };
  const view: MenuItemConstructorOptions[] = opts.dev
    ? [
        {
          label: 'View',
          submenu: [
            { label: 'Reload', accelerator: 'CmdOrCtrl+R', click: () => actions.reload() },
            {
              label: 'Toggle Developer Tools',
              accelerator: 'CmdOrCtrl+Shift+I',
              click: () => actions.toggleDevTools(),
            },
          ],
        },
      ]
    : [];
  // On macOS the first menu sits under the app's name; About lives there.
  const appMenu: MenuItemConstructorOptions[] = opts.mac
    ? [
        {
          label: 'vfab',
          submenu: [
            { label: 'About vfab', click: () => actions.about() },
            { type: 'separator' },
            { role: 'hide' },
            { role: 'hideOthers' },
            { role: 'unhide' },
          ],
        },
      ]
    : [];
  return [
    ...appMenu,
    {
      label: 'File',
      submenu: [
        { label: 'Add job…', accelerator: 'CmdOrCtrl+O', click: () => actions.addJob() },
        { type: 'separator' },
        // Not role 'quit': Quit must pass the plot question (quit.ts) like every other way out.
        { label: 'Quit', accelerator: 'CmdOrCtrl+Q', click: () => actions.quit() },
      ],
    },
    edit,
    ...view,
    { label: 'Help', submenu: [{ label: 'About vfab', click: () => actions.about() }] },
  ];
}

export function installMenu(actions: MenuActions, opts: { dev: boolean; mac: boolean }): void {
  Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate(actions, opts)));
}
